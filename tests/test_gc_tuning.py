"""The server's garbage collector settings."""

import gc

from pbxd.gc_tuning import SERVER_THRESHOLDS, tune_for_server


def test_tune_for_server_freezes_startup_objects_and_collects_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_for_server()
        assert gc.get_threshold() == SERVER_THRESHOLDS
        assert gc.get_freeze_count() > 0
        assert SERVER_THRESHOLDS[0] > before[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
