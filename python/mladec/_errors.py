"""The exception every mladec function raises for bad input or a failed call."""


class Error(RuntimeError):
    """A mladec error: the C++ library's message and its error code.

    ``code`` names what was wrong (``"bad_num_heads"``, ``"bad_tensor"``,
    ``"bad_seqlen"``, ``"cuda_error"``, ...) so callers can branch on it
    without parsing ``str(error)``, which names the bad value and its limit.
    """

    def __init__(self, message: str, code: str = "unknown"):
        super().__init__(message)
        self.code = code

    def __reduce__(self):
        return (type(self), (str(self), self.code))
