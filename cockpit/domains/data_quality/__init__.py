"""数据质量: per dataset, how fresh it is and what was held back and why."""

from cockpit.modules import ModuleSpec

MODULE = ModuleSpec(
    key="data_quality",
    title="数据质量",
    # City staff fix the data with the platform; the system administrator sees counts and
    # reasons, no rows.
    roles=frozenset({"city_staff", "admin"}),
)
