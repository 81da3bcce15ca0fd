"""REST for my agenda. Parse, call the service, shape the reply."""

from __future__ import annotations

from app.agenda import service
from app.agenda.schemas import AgendaItemPublic, AgendaPublic
from app.core.problems import problem_responses
from app.core.rest import AreaRouter, Caller, Session

router = AreaRouter(tags=["agenda"], responses=problem_responses(401))


@router.get("/me/agenda", response_model=AgendaPublic)
async def get_my_agenda(session: Session, principal: Caller) -> AgendaPublic:
    """What needs you now, most urgent first: action steps you own that are overdue or due within 14
    days, reviews due of plans you work on, inputs to answer in activities you facilitate, revisions
    of plans you lead awaiting your decision, PDSA cycles waiting for their study, and support that
    walkthroughs you observed said teachers need. Each item has its kind and a link; you see only what
    you may read anywhere else. An API client's agenda is empty."""
    agenda = await service.my_agenda(session, principal)
    return AgendaPublic(
        as_of=agenda.as_of,
        total=agenda.total,
        items=[AgendaItemPublic.model_validate(i) for i in agenda.items],
    )
