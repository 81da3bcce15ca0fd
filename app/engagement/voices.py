"""Voices: who took part in an initiative's held activities, counted and named, and who did not.

A *voice* here is a person who attended (in their own name, or through a stakeholder record that stands
for them) or a group stakeholder that attended (a board, a parents' circle). People are counted by
kind (a teacher, a family member, a school leader…) and broken down by the attributes a district
records on people and stakeholders (preferred language, neighbourhood, community role, tags). Groups
are not people: they are named, and heard, but not counted among the people.

Counts of people pool adults, so they are small-cell suppressed like every other pooled figure: a
count under the district's `min_teachers` is hidden (and students under its `min_cell_size`), and
complementary cells are hidden until no hidden count can be worked out from those shown (the same
`app.sis.suppression` audit the releases use). Zero is shown: no one is described by it, and an
absence is exactly what this report is for.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.sql import any_of
from app.engagement.models import Activity, ActivityStatus, AttendeeKind, Mode, Participation
from app.engagement.schemas import (
    BreakdownCell,
    ExpectedGroupCoverage,
    KindCount,
    ModeCount,
    NamedStakeholder,
)
from app.identity.models import Person, PersonKind, Role, RoleAssignment, StaffRole, User
from app.initiatives.models import InitiativeStakeholder, Stakeholder, StakeholderCategory
from app.sis.suppression import Bound, Figure, Partition, suppress
from app.tenancy.models import District, GroupDimension

# The attributes a breakdown is given for; tags may be several per voice, the others one.
SINGLE_VALUED = (
    GroupDimension.PREFERRED_LANGUAGE,
    GroupDimension.NEIGHBOURHOOD,
    GroupDimension.COMMUNITY_ROLE,
)

# The category a person's own kind puts them in, when no stakeholder record says more.
KIND_CATEGORY: dict[AttendeeKind, StakeholderCategory] = {
    AttendeeKind.TEACHER: StakeholderCategory.TEACHER,
    AttendeeKind.SCHOOL_LEADER: StakeholderCategory.SCHOOL_LEADERSHIP,
    AttendeeKind.DISTRICT_STAFF: StakeholderCategory.DISTRICT_OFFICE,
    AttendeeKind.FAMILY: StakeholderCategory.FAMILY,
    AttendeeKind.STUDENT: StakeholderCategory.STUDENT,
}
DISTRICT_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.DISTRICT_LEADER})


@dataclass
class Voice:
    """One attendee: a person, or a group stakeholder."""

    kind: AttendeeKind | None  # None for a group
    categories: set[StakeholderCategory] = field(default_factory=set)
    attributes: dict[GroupDimension, str] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)

    def is_in(self, dimension: GroupDimension, value: str) -> bool:
        wanted = value.casefold()
        if dimension is GroupDimension.CATEGORY:
            return any(c.value == wanted for c in self.categories)
        if dimension is GroupDimension.PERSON_KIND:
            return self.kind is not None and self.kind.value == wanted
        if dimension is GroupDimension.TAG:
            return any(t.casefold() == wanted for t in self.tags)
        found = self.attributes.get(dimension)
        return found is not None and found.casefold() == wanted


@dataclass
class Voices:
    """What the report adds to the categories: counts, breakdowns, names, expected groups."""

    # mode -> voice key -> voice
    heard: dict[Mode, dict[Hashable, Voice]]
    # stakeholder ids that attended, by mode
    stakeholders_heard: dict[Mode, set[uuid.UUID]]


def attendee_kind(person: Person, roles: set[Role]) -> AttendeeKind:
    """What kind of attendee a person is: their kind, and for staff what their roles or SIS role say."""
    if person.kind is not PersonKind.STAFF:
        return AttendeeKind(person.kind.value)
    if roles & DISTRICT_ROLES:
        return AttendeeKind.DISTRICT_STAFF
    if Role.SCHOOL_LEADER in roles or person.staff_role is StaffRole.ADMINISTRATOR:
        return AttendeeKind.SCHOOL_LEADER
    if Role.TEACHER in roles or person.staff_role is StaffRole.TEACHER:
        return AttendeeKind.TEACHER
    return AttendeeKind.OTHER_STAFF


def _attributes_of(*holders: Person | Stakeholder) -> tuple[dict[GroupDimension, str], set[str]]:
    """Attributes from the first holder that has each (the person first, then who stands for them)."""
    attributes: dict[GroupDimension, str] = {}
    tags: set[str] = set()
    for holder in holders:
        for dimension in SINGLE_VALUED:
            value = getattr(holder, dimension.value)
            if value and dimension not in attributes:
                attributes[dimension] = value
        tags |= set(holder.tags or ())
    return attributes, tags


async def load_voices(session: AsyncSession, district_id: uuid.UUID, initiative_id: uuid.UUID) -> Voices:
    """Everyone who attended a held activity of the initiative, by mode (five statements)."""
    attended = (
        select(Activity.mode, Participation.stakeholder_id, Participation.person_id)
        .join(Participation, Participation.activity_id == Activity.id)
        .where(
            Activity.initiative_id == initiative_id,
            Activity.status == ActivityStatus.HELD,
            Participation.attended.is_(True),
        )
    )
    rows = (await session.execute(attended)).all()
    stakeholder_ids = {s for _, s, _ in rows if s is not None}
    direct_people = {p for _, _, p in rows if p is not None}
    stakeholders: dict[uuid.UUID, Stakeholder] = {}
    if stakeholder_ids or direct_people:
        conditions = []
        if stakeholder_ids:
            conditions.append(any_of(Stakeholder.id, stakeholder_ids))
        if direct_people:
            conditions.append(any_of(Stakeholder.person_id, direct_people))
        found = await session.execute(
            select(Stakeholder).where(Stakeholder.district_id == district_id, or_(*conditions))
        )
        stakeholders = {s.id: s for s in found.scalars()}
    standing_for: dict[uuid.UUID, list[Stakeholder]] = defaultdict(list)
    for s in stakeholders.values():
        if s.person_id is not None:
            standing_for[s.person_id].append(s)
    person_ids = direct_people | set(standing_for)
    people: dict[uuid.UUID, Person] = {}
    roles: dict[uuid.UUID, set[Role]] = defaultdict(set)
    if person_ids:
        people = {
            p.id: p
            for p in (await session.execute(select(Person).where(any_of(Person.id, person_ids)))).scalars()
        }
        held = select(User.person_id, RoleAssignment.role).join(User, User.id == RoleAssignment.user_id)
        for person_id, role in (await session.execute(held.where(any_of(User.person_id, person_ids)))).all():
            roles[person_id].add(role)

    heard: dict[Mode, dict[Hashable, Voice]] = {Mode.CO_CREATION: {}, Mode.CO_PRODUCTION: {}}
    stakeholders_heard: dict[Mode, set[uuid.UUID]] = {Mode.CO_CREATION: set(), Mode.CO_PRODUCTION: set()}
    for mode, stakeholder_id, person_id in rows:
        stakeholder = stakeholders.get(stakeholder_id) if stakeholder_id else None
        if person_id is None and stakeholder is not None:
            person_id = stakeholder.person_id
        if person_id is not None and person_id in people:
            person = people[person_id]
            records = standing_for.get(person_id, [])
            stakeholders_heard[mode] |= {s.id for s in records}
            kind = attendee_kind(person, roles[person_id])
            attributes, tags = _attributes_of(person, *records)
            categories = {s.category for s in records}
            if kind in KIND_CATEGORY:
                categories.add(KIND_CATEGORY[kind])
            heard[mode][("person", person_id)] = Voice(kind, categories, attributes, tags)
        elif stakeholder is not None:
            stakeholders_heard[mode].add(stakeholder.id)
            attributes, tags = _attributes_of(stakeholder)
            heard[mode][("group", stakeholder.id)] = Voice(None, {stakeholder.category}, attributes, tags)
    return Voices(heard=heard, stakeholders_heard=stakeholders_heard)


def languages_heard(voices: Voices) -> list[str]:
    """The preferred languages (BCP 47) of everyone who attended, in either mode: which languages the
    initiative heard from. A list, never counts: a count of one language could single out a family."""
    return sorted(
        {
            voice.attributes[GroupDimension.PREFERRED_LANGUAGE]
            for by_key in voices.heard.values()
            for voice in by_key.values()
            if GroupDimension.PREFERRED_LANGUAGE in voice.attributes
        }
    )


def categories_heard(voices: Voices, mode: Mode) -> set[StakeholderCategory]:
    return {c for voice in voices.heard[mode].values() for c in voice.categories}


def not_heard(
    voices: Voices, placements: Iterable[tuple[InitiativeStakeholder, Stakeholder]], modes: Iterable[Mode]
) -> list[NamedStakeholder]:
    """Every mapped stakeholder of the initiative that took part in none of `modes`, by name."""
    took_part = set().union(*(voices.stakeholders_heard[m] for m in modes))
    missing = [s for _, s in placements if s.id not in took_part]
    return [
        NamedStakeholder(stakeholder_id=s.id, name=s.name, category=s.category)
        for s in sorted(missing, key=lambda s: (s.name.casefold(), s.id))
    ]


def counted(
    voices: Voices, district: District
) -> tuple[list[ModeCount], list[KindCount], list[BreakdownCell]]:
    """People who attended, per mode: the total, by kind, and by each attribute (no value recorded
    is a cell of its own), suppressed together so that nothing hidden can be worked out."""
    totals: list[ModeCount] = []
    kinds: list[KindCount] = []
    cells_out: list[BreakdownCell] = []
    for mode in Mode:
        people = [v for v in voices.heard[mode].values() if v.kind is not None]
        cells: dict[Hashable, Figure] = {}
        partitions: list[Partition] = []
        bounds: list[Bound] = []
        total_key = ("total",)
        cells[total_key] = _figure(len(people), district.min_teachers)
        kind_keys = []
        for kind in AttendeeKind:
            n = sum(1 for v in people if v.kind is kind)
            cells[("kind", kind)] = _figure(n, district.min_teachers)
            if kind is AttendeeKind.STUDENT and 0 < n < district.min_cell_size:
                cells[("kind", kind)].suppressed = True  # students: the district's minimum n
            kind_keys.append(("kind", kind))
        partitions.append(Partition(tuple(kind_keys), total_key))
        for dimension in SINGLE_VALUED:
            counts: dict[str | None, int] = defaultdict(int)
            for v in people:
                counts[v.attributes.get(dimension)] += 1
            keys = []
            for value, n in counts.items():
                cells[(dimension, value)] = _figure(n, district.min_teachers)
                keys.append((dimension, value))
            partitions.append(Partition(tuple(keys), total_key))
        tag_counts: dict[str, int] = defaultdict(int)
        for v in people:
            for tag in v.tags:
                tag_counts[tag] += 1
        for tag, n in tag_counts.items():
            cells[(GroupDimension.TAG, tag)] = _figure(n, district.min_teachers)
            bounds.append(Bound(((GroupDimension.TAG, tag),), total_key))
        suppress(cells, partitions, district.min_teachers, bounds)
        people_total, hidden = _shown(cells, total_key)
        totals.append(ModeCount(mode=mode, people=people_total, suppressed=hidden))
        for kind in AttendeeKind:
            n, hidden = _shown(cells, ("kind", kind))
            kinds.append(KindCount(mode=mode, kind=kind, people=n, suppressed=hidden))
        breakdown = [key for key in cells if isinstance(key, tuple) and isinstance(key[0], GroupDimension)]
        for dimension, value in sorted(breakdown, key=lambda k: (k[0].value, k[1] is None, k[1] or "")):
            n, hidden = _shown(cells, (dimension, value))
            cells_out.append(
                BreakdownCell(mode=mode, dimension=dimension, value=value, people=n, suppressed=hidden)
            )
    return totals, kinds, cells_out


def _shown(cells: dict[Hashable, Figure], key: Hashable) -> tuple[int | None, bool]:
    cell = cells[key]
    return (None, True) if cell.suppressed else (int(cell.value), False)


def _figure(n: int, min_n: int) -> Figure:
    # A zero describes no one: it is published as it is (suppress() would hide it as "under min_n").
    return Figure(value=n, n=n if n else min_n)


def coverage(voices: Voices, district: District) -> list[ExpectedGroupCoverage]:
    """For each group the district expects to hear from, whether anyone of it attended, by mode."""
    found = []
    for group in district.expected_groups:
        dimension, value = GroupDimension(group["dimension"]), group["value"]
        found.append(
            ExpectedGroupCoverage(
                dimension=dimension,
                value=value,
                heard_in_co_creation=any(
                    v.is_in(dimension, value) for v in voices.heard[Mode.CO_CREATION].values()
                ),
                heard_in_co_production=any(
                    v.is_in(dimension, value) for v in voices.heard[Mode.CO_PRODUCTION].values()
                ),
            )
        )
    return found
