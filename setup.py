"""Builds the compiled extensions; everything else about the package is in pyproject.toml.

They are required, not optional: gcc and the Python headers are on every machine of this
project (CI included), so a build that cannot compile them fails instead of installing a
slower package. Each has a pure-Python reference implementation, chosen at run time with
GATEWAY_PURE_PYTHON=1.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

EXTENSIONS = [
    # the 835 reader's hot loop (reference: gateway/core/x12/reader835.py)
    Extension("gateway.core.x12._fast835", ["gateway/core/x12/_fast835.pyx"]),
]

setup(ext_modules=cythonize(EXTENSIONS, compiler_directives={"language_level": "3"}))
