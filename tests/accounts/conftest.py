# The access walk's records (a patient, links, an appointment...), for the operator's tests.
from tests.test_access import records  # noqa: F401
