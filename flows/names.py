"""Names that processes which do not import Prefect share with the flows."""

RESOLVER_TASK_KEY = "resolve_contact-onetouch_v1"  # the resolve-contact task's fixed key
APPROVAL_FLOW = "await-agent-decision"  # the flow an escalation waits for its agent in
