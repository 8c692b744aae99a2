"""The abstract Schema in the middle of the flow (frozen values), the normalization rules that
produce its values, dependency ordering, and SQL script splitting."""
