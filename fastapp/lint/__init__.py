"""The online-safety lint: which changes of a plan or a migration block the application's
writes, each named by a stable rule id with the safe alternative (:mod:`fastapp.lint.rules`,
pure over the plan's ops and the hubs' :class:`~fastapp.dialects.base.OnlineFacts`),
suppression comments (:mod:`fastapp.lint.suppress`) and what is read (:mod:`fastapp.lint.sources`).
"""
