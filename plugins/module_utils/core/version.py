# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, readable at run time (galaxy.yml is not shipped to the targets).

A unit test (tests/unit/plugins/module_utils/core/test_http_conventions.py) fails when it differs from galaxy.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

COLLECTION_NAME = "coder.ai_platform"
COLLECTION_VERSION = "0.1.0"
