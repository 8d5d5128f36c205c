"""Key work's demo-data slice: about 150 tasks of this year and their milestones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cockpit.demo_kit import DemoContext, Table

TASK_TEMPLATES = [
    ("政府工作报告", "推进{c}老旧小区改造{k}个", "市住建局"),
    ("政府工作报告", "新增城镇就业{k}百人（{c}）", "市人社局"),
    ("政府工作报告", "{c}规上工业企业培育入统{k}家", "市工信局"),
    ("政府工作报告", "完成{c}农村公路提质改造{k}公里", "市交通运输局"),
    ("重点项目", "{c}新能源产业园{k}期工程建设", "市发改委"),
    ("重点项目", "{c}智慧城市运营中心建设", "市行政审批局"),
    ("重点项目", "{c}污水处理厂提标改造", "市生态环境局"),
    ("重点项目", "{c}高标准农田建设{k}万亩", "市农业农村局"),
    ("领导批示", "{c}群众反映集中供热问题专项整治", "市住建局"),
    ("领导批示", "{c}拖欠农民工工资问题清零", "市人社局"),
    ("领导批示", "{c}安全生产隐患排查整治", "市应急管理局"),
]
LEADERS = [
    "王建国 副市长",
    "李文华 副市长",
    "张晓明 副市长",
    "刘志强 常务副市长",
    "陈丽娟 副市长",
    "杨宏伟 副市长",
]
CO_UNITS = ["市财政局", "市自然资源局", "市发改委", "市审计局", "市统计局", "市公安局"]


def key_work_tasks(
    rng: np.random.Generator,
    city_code: str,
    counties: list[str],
    names: dict[str, str],
    end: pd.Timestamp,
) -> pd.DataFrame:
    """About 150 key tasks of this year, most on track, some behind, a few overdue or stalled."""
    today = end.normalize()
    rows = []
    for i in range(150):
        source, title, unit = TASK_TEMPLATES[i % len(TASK_TEMPLATES)]
        code = counties[rng.integers(len(counties))] if rng.random() < 0.7 else city_code
        place = names.get(code, "全市")
        start = today - pd.Timedelta(days=int(rng.integers(60, 320)))
        if rng.random() < 0.9:  # most deadlines lie ahead; a few have passed
            deadline = today + pd.Timedelta(days=int(rng.integers(15, 220)))
        else:
            deadline = today - pd.Timedelta(days=int(rng.integers(3, 45)))
        span = max((deadline - start).days, 1)
        elapsed = min(max((today - start).days / span, 0), 1)
        kind = rng.random()
        if kind < 0.62:
            progress = min(100.0, elapsed * 100 + rng.normal(4, 6))
        elif kind < 0.85:
            progress = max(0.0, elapsed * 100 - rng.uniform(12, 35))
        else:
            progress = max(0.0, elapsed * 100 - rng.uniform(30, 60))
        progress = round(float(np.clip(progress, 0, 100)), 0)
        done = progress >= 100
        stale = rng.random() < 0.1
        fb_age = int(rng.integers(25, 60)) if stale else int(rng.exponential(5))
        feedback_date = today - pd.Timedelta(days=fb_age)
        rows.append(
            {
                "task_id": f"ZD{today.year}{i + 1:03d}",
                "title": title.format(c=place, k=int(rng.integers(2, 30))),
                "source": source,
                "lead_leader": LEADERS[i % len(LEADERS)],
                "lead_unit": unit,
                "co_units": "、".join(rng.choice(CO_UNITS, size=2, replace=False)),
                "county_code": code,
                "start_date": start,
                "deadline": deadline,
                "progress": progress,
                "last_feedback": f"已完成总体进度的{int(progress)}%，"
                + ("正按计划推进。" if not stale else "近期推进缓慢。"),
                "last_feedback_date": feedback_date,
                "completed_at": feedback_date if done else pd.NaT,
            }
        )
    return pd.DataFrame(rows)


_MILESTONE_NAMES = {
    "政府工作报告": [
        "制定实施方案",
        "分解下达年度任务",
        "完成阶段目标",
        "开展中期评估",
        "攻坚冲刺",
        "全面完成并考核验收",
    ],
    "重点项目": [
        "完成立项审批",
        "完成招标采购",
        "开工建设",
        "主体工程完工",
        "设备安装调试",
        "竣工验收",
    ],
    "领导批示": ["摸排建立问题台账", "制定整改方案", "集中整改", "整改销号", "回头看并报结"],
}


def key_work_milestones(
    rng: np.random.Generator, tasks: pd.DataFrame, end: pd.Timestamp
) -> pd.DataFrame:
    """Three to six milestones per task, consistent with its dates, progress and feedback.

    Milestone k of n is planned at k/n of the task's progress and due at the same share of its
    time (the last on the deadline). It is done when the task's progress has reached its
    planned share, on a day near its due date but never after the task's latest feedback (which
    reported it) nor after the data's end; a finished task has all of them done, the last on the
    day it was finished. So a task behind 序时进度 has milestones past due and not done.
    """
    today = end.normalize()
    rows = []
    for task in tasks.itertuples():
        names = _MILESTONE_NAMES[task.source]
        n = int(rng.integers(3, len(names) + 1))
        chosen = [*names[: n - 1], names[-1]]
        start, deadline = pd.Timestamp(task.start_date), pd.Timestamp(task.deadline)
        span = max((deadline - start).days, 1)
        reported = min(pd.Timestamp(task.last_feedback_date), today)
        completed = not pd.isna(task.completed_at)
        previous = start
        for k, name in enumerate(chosen, start=1):
            share = 100.0 * k / n
            due = deadline if k == n else start + pd.Timedelta(days=round(span * k / n))
            done_at = pd.NaT
            if completed or task.progress >= share:
                day = due + pd.Timedelta(days=int(rng.integers(-12, 11)))
                day = min(max(day, start, previous), reported)
                done_at = reported if completed and k == n else day
                previous = done_at
            rows.append(
                {
                    "task_id": task.task_id,
                    "seq": k,
                    "name": name,
                    "due_date": due,
                    "done_at": done_at,
                    "planned_progress": round(share, 1),
                    "county_code": task.county_code,
                    # The unit reports milestones with its feedback, in the evening.
                    "updated_at": reported + pd.Timedelta(hours=18),
                }
            )
    frame = pd.DataFrame(rows)
    frame["seq"] = frame["seq"].astype("int64")
    return frame


def tables(ctx: DemoContext) -> dict[str, Table]:
    """key_work.tasks from the shared stream; key_work.milestones from a stream of their own,
    so that the tables after them stay as they were before milestones existed."""
    tasks = key_work_tasks(ctx.rng, ctx.city_code, ctx.counties, ctx.names, ctx.end)
    return {
        "key_work_tasks": tasks,
        "key_work_milestones": key_work_milestones(ctx.stream(6), tasks, ctx.end),
    }
