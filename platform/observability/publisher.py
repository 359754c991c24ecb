"""The one place that publishes to the channel layer: log batches and metrics samples.

Group names carry the app id, not its name, so a renamed app keeps its viewers. Viewers that
fall behind are dropped from by channels_redis (a full channel refuses more), never waited for,
so a slow browser cannot slow the publisher; the sequence numbers in each batch let the viewer
say how many lines it missed.
"""
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def log_group(app_id: int) -> str:
    return f"logs.{app_id}"


def metrics_group(app_id: int) -> str:
    return f"metrics.{app_id}"


async def publish_log_batch(app_id: int, *, first: int, last: int, lines_json: str) -> None:
    """Lines `first`..`last` of the app's stream, already encoded as a JSON list once for all
    viewers (observability.consumers sends it on as it is)."""
    await get_channel_layer().group_send(
        log_group(app_id), {"type": "log.batch", "first": first, "last": last, "lines": lines_json}
    )


async def publish_metrics_sample(app_id: int, sample: dict) -> None:
    await get_channel_layer().group_send(metrics_group(app_id), {"type": "metrics.sample", "sample": sample})


def publish_metrics_sample_sync(app_id: int, sample: dict) -> None:
    async_to_sync(publish_metrics_sample)(app_id, sample)
