"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test downloads get-pip from ci-files.testing.ansible.com, which this network cannot reach; scripts/sanity.sh
places this file where ansible-test caches that download. It does what get-pip does with the arguments ansible-test
passes: bootstrap pip from the interpreter's bundled wheel, then install the requested pip and packages from PyPI.
"""

import subprocess
import sys

GET_PIP_ONLY_FLAGS = ("--no-setuptools", "--no-wheel")

args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
