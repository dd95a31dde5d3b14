"""The bundled demo sample is exactly what the builder makes from the recorded API fixtures."""

import json

from build_demo_data import OUTPUT, build


def test_bundled_sample_is_up_to_date():
    assert json.loads(OUTPUT.read_text()) == json.loads(build())
