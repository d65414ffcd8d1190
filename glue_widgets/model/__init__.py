"""The small core every layer speaks: Session, StreamInfo, the DataArray convention, the RestCard."""

from .card import REST_TARGET_S, new_card, restcard_schema, validate_card
from .session import EPOCH_COLUMNS, Session, StreamInfo, empty_epochs
from .timeseries import MODALITIES, check_timestamps, make_timeseries
from .validation import as_time_by_channel, check_fs, check_positive_int

__all__ = [
    "REST_TARGET_S", "new_card", "restcard_schema", "validate_card",
    "EPOCH_COLUMNS", "Session", "StreamInfo", "empty_epochs",
    "MODALITIES", "check_timestamps", "make_timeseries",
    "as_time_by_channel", "check_fs", "check_positive_int",
]

from .memory import ArraySession  # noqa: E402
from .spikes import bin_spikes  # noqa: E402

__all__ += ["ArraySession", "bin_spikes"]
