"""The pure diff: ``(current Schema, desired Schema, options) -> Plan`` of immutable ops."""
