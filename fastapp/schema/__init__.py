"""The abstract Schema in the middle of the flow (frozen values), the normalization rules that
produce its values, dependency ordering (``toposort``: the one topological sort and table
creation order), and SQL script splitting."""
