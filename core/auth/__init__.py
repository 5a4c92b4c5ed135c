"""Access control: users, API tokens, OIDC bearer tokens, roles and the role x endpoint policy.

``models`` (Role, Principal), ``tokens`` (format and hashing), ``repository`` +
``queries.sql`` (ops.users, ops.api_tokens), ``service`` (authenticate, manage
users and tokens), ``oidc`` (JWT verification against a cached JWKS),
``policy`` (the matrix, as data), ``demo`` (local demo users), ``auditlog``
(reading ops.audit for the audit API).
"""
