"""Demo 全程代办 at the demo park (云溪经济开发区企业服务中心): four investment
projects its agents carry, played through cases.agency with past dates, so the
park's workbench (园区工作台, /admin/park/) shows milestones done on time, one
done late, one overdue, one running and one not yet started.

Loaded by ops' load_demo_network after the points (and the grants); skipped once
the park has projects.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from powers.agency import AgencyProject
from tenants.models import ServicePoint

from . import agency, clock, workdays

PARK = "yunxi-kfq"
AGENT = "kfq-admin"
# (project, enterprise, credit code, agent's name,
#  [(milestone, started N working days ago or None, took N working days or None)])
Step = tuple[str, int | None, int | None]
PROJECTS: list[tuple[str, str, str, str, list[Step]]] = [
    ("年产5万吨锂电池正极材料项目", "湖南湘楚新能源科技有限公司", "91439971MA4T00011N", "代办员 彭丽",
     [("filing", 60, 1), ("business", 58, 2), ("property", 55, 3), ("land_planning", 50, 4),
      ("works_planning", 44, 12), ("construction", 20, None), ("acceptance", None, None)]),
    ("智能装备产业园二期", "云溪智能装备制造有限公司", "", "代办员 谭军",
     [("business", 9, 2), ("property", 6, None), ("construction", None, None)]),
    ("冷链物流配送中心", "云溪冷链物流有限公司", "", "代办员 彭丽",
     [("filing", 0, None), ("business", None, None), ("property", None, None)]),
    ("新型建材生产线技改项目", "云溪新型建材股份有限公司", "", "代办员 谭军",
     [("filing", 30, 1), ("works_planning", 28, 9), ("construction", None, None)]),
]


def working_days_before(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day -= dt.timedelta(days=1)
        if workdays.is_workday(day):
            days -= 1
    return day


def load_demo_agency(progress=print, park_slug: str = PARK, agent_username: str = AGENT) -> int:
    """The park's projects; returns how many were made (0: no park, or already there)."""
    park = ServicePoint.objects.filter(slug=park_slug).first()
    agent = get_user_model().objects.filter(username=agent_username).first()
    if park is None or agent is None or AgencyProject.objects.of_point(park).exists():
        return 0
    today = clock.today()
    for name, enterprise, code, agent_name, steps in PROJECTS:
        first = max((ago for _, ago, _ in steps if ago is not None), default=0)
        project = agency.create_project(agent, park, name=name, enterprise_name=enterprise, credit_code=code,
                                        agent_name=agent_name, kinds=[kind for kind, _, _ in steps],
                                        started_on=working_days_before(today, first))
        for milestone, (_, ago, took) in zip(project.milestones.order_by("order"), steps, strict=True):
            if ago is None:
                continue
            started = working_days_before(today, ago)
            agency.start_milestone(agent, park, milestone.pk, on=started)
            if took is not None:
                agency.finish_milestone(agent, park, milestone.pk, on=workdays.add_working_days(started, took))
    progress(f"全程代办：{park.name} {len(PROJECTS)} 个项目")
    return len(PROJECTS)
