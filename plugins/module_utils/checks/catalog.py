# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every family of checks, imported once so that the registry holds the whole catalog.

A new family is one more module in this package and one more line here (tests/unit/test_catalog.py fails when a
module in checks/ is not listed).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coder.ai_platform.plugins.module_utils.checks import baseline  # noqa: F401 pylint: disable=unused-import
from ansible_collections.coder.ai_platform.plugins.module_utils.checks import dr  # noqa: F401 pylint: disable=unused-import
from ansible_collections.coder.ai_platform.plugins.module_utils.checks import preflight  # noqa: F401 pylint: disable=unused-import
from ansible_collections.coder.ai_platform.plugins.module_utils.checks import state_backend  # noqa: F401 pylint: disable=unused-import
from ansible_collections.coder.ai_platform.plugins.module_utils.core.registry import (  # noqa: F401 pylint: disable=unused-import
    CATALOG, catalog_rows, families, judge_checks, sections_read,
)

FAMILY_MODULES = ("baseline", "dr", "preflight", "state_backend")
