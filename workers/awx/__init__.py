"""AWX/AAP REST client (the only place that speaks httpx to AWX)."""

from workers.awx.client import AwxClient
from workers.awx.models import AwxJob, AwxJobStatus, HostSummary, JobEvent, JobTemplate, LaunchPrompts, Stdout

__all__ = ["AwxClient", "AwxJob", "AwxJobStatus", "HostSummary", "JobEvent", "JobTemplate", "LaunchPrompts", "Stdout"]
