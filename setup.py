"""Builds the compiled extensions; everything else about the package is in pyproject.toml.

`gateway.core.x12._fast835` (the 835 reader) and `gateway.aging.fastrows` (the aging reader's
plain rows). They are required, not optional: gcc and the Python headers are on every machine
of this project (CI included), so a build that cannot compile them fails instead of installing
a slower package. Each has a pure-Python reference implementation, chosen at run time with
GATEWAY_PURE_PYTHON=1.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

EXTENSIONS = [
    # the 835 reader's hot loop (reference: gateway/core/x12/reader835.py)
    Extension("gateway.core.x12._fast835", ["gateway/core/x12/_fast835.pyx"]),
]

# The aging reader's plain rows: a plain .py typed by its .pxd, so the same file also runs
# interpreted (the tests read files both ways). Its annotations stay Python's (the C types come
# from the .pxd only), and its indexes are all checked by the code itself.
AGING = [Extension("gateway.aging.fastrows", ["gateway/aging/fastrows.py"])]

setup(
    ext_modules=cythonize(EXTENSIONS, compiler_directives={"language_level": "3"})
    + cythonize(AGING, compiler_directives={"language_level": "3", "annotation_typing": False,
                                            "boundscheck": False, "wraparound": False}),
)
