"""Families' languages in the demo: preferred languages, and translations entered by a district
leader (a person, as every translation is) of the literacy design session and its "you said, we did".

The community member reads Spanish: without an `Accept-Language` header she gets the Spanish text
where it exists, the English original beside it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Grant, Principal, PrincipalKind
from app.engagement import service as engagement
from app.engagement import translations
from app.engagement.models import Activity, Input
from app.engagement.schemas import ActivityTranslation, ActivityUpdate, InputTranslation
from app.identity.models import Person, Role, RoleAssignment, User
from app.initiatives.models import Stakeholder

DESIGN_SESSION = "Designing the K-3 literacy block with teachers and families"
INVITATION = (
    "Families and teachers: help us design the K-3 literacy block. Tuesday at 6 pm in the district "
    "office library; childcare, dinner and interpretation provided."
)
# Stakeholders' languages: who the district reaches in which language.
STAKEHOLDER_LANGUAGES = {
    "District PTA council": "es",
    "Eastside Community Coalition": "es",
    "Teachers' association": "en",
    "Literacy coaches": "en",
    "Board of Education": "en",
    "City public library": "en",
}
ACTIVITY_TRANSLATIONS = {
    "es": ActivityTranslation(
        title="Diseñando el bloque de lectoescritura de K-3 con maestros y familias",
        invitation="Familias y maestros: ayúdennos a diseñar el bloque de lectoescritura de K-3. El martes "
        "a las 6 pm en la biblioteca de la oficina del distrito; habrá cuidado de niños, cena e interpretación.",
    ),
    "vi": ActivityTranslation(
        title="Thiết kế giờ học đọc viết K-3 cùng giáo viên và gia đình",
        invitation="Kính mời phụ huynh và giáo viên cùng thiết kế giờ học đọc viết K-3. Thứ Ba lúc 6 giờ "
        "chiều tại thư viện văn phòng học khu; có giữ trẻ, bữa tối và thông dịch.",
    ),
}
# "You said, we did" in Spanish: (the original text said, its translation, the answer's translation).
INPUT_TRANSLATIONS = [
    (
        "Hold family reading nights so parents learn the same routines.",
        "Organicen noches de lectura familiar para que los padres aprendan las mismas rutinas.",
        "Cada escuela primaria ahora organiza una noche de lectura familiar cada trimestre.",
    ),
    (
        "Weekly screening on paper will eat the planning time teachers have.",
        "La evaluación semanal en papel se comerá el tiempo de planificación de los maestros.",
        "Mantuvimos la evaluación semanal para los estudiantes por debajo del nivel y compraremos un "
        "sistema de datos para que los resultados se ingresen una sola vez.",
    ),
]


async def _leader(session: AsyncSession, district_id: uuid.UUID) -> Principal | None:
    user_id = await session.scalar(
        select(User.id)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.district_id == district_id, RoleAssignment.role == Role.DISTRICT_LEADER)
        .limit(1)
    )
    if user_id is None:
        return None
    return Principal(
        kind=PrincipalKind.USER,
        id=user_id,
        district_id=district_id,
        grants=(Grant(Role.DISTRICT_LEADER, None),),
        label="demo district leader",
    )


async def seed_languages(session: AsyncSession, district_id: uuid.UUID) -> int:
    """Preferred languages and the design session's translations. Returns the translations entered."""
    for stakeholder in (
        await session.execute(select(Stakeholder).where(Stakeholder.district_id == district_id))
    ).scalars():
        stakeholder.preferred_language = STAKEHOLDER_LANGUAGES.get(
            stakeholder.name, stakeholder.preferred_language
        )
    community = await session.scalar(
        select(Person)
        .join(User, User.person_id == Person.id)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.district_id == district_id, RoleAssignment.role == Role.COMMUNITY_MEMBER)
        .limit(1)
    )
    if community is not None:
        community.preferred_language = "es"
    leader = await _leader(session, district_id)
    activity = await session.scalar(
        select(Activity).where(Activity.district_id == district_id, Activity.title == DESIGN_SESSION)
    )
    if leader is None or activity is None:
        await session.flush()
        return 0
    await engagement.update_activity(session, leader, activity.id, ActivityUpdate(invitation=INVITATION))
    entered = 0
    for language, text in ACTIVITY_TRANSLATIONS.items():
        await translations.translate_activity(session, leader, activity.id, language, text)
        entered += 1
    for original, said, answered in INPUT_TRANSLATIONS:
        row = await session.scalar(
            select(Input).where(Input.activity_id == activity.id, Input.text == original)
        )
        if row is not None:
            await translations.translate_input(
                session, leader, row.id, "es", InputTranslation(text=said, response=answered)
            )
            entered += 1
    await session.flush()
    return entered
