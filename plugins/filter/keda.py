# -*- coding: utf-8 -*-
# Copyright: contributors to coder.ai_platform
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render the KEDA objects of provisioner autoscaling (module_utils/planners/keda.py) on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.coder.ai_platform.plugins.module_utils.planners import keda


def keda_input_errors(deployments, settings=None, workshop=None):
    """Problems with the provisioner_autoscaling inputs, one sentence each (empty when they are fine)."""
    return keda.settings_errors(deployments, settings, workshop)


def keda_provisioner_objects(deployments, organizations, settings=None, workshop=None, now=None):
    """ScaledObjects, TriggerAuthentications, the namespaces that need the token Secret, probes and a summary."""
    try:
        return keda.render(deployments, organizations, settings, workshop, now)
    except (KeyError, TypeError, ValueError) as err:
        raise AnsibleFilterError("keda_provisioner_objects: %s" % err)


def keda_metric_value(document, value_location="#"):
    """The number KEDA's metrics-api scaler reads from a JSON answer at a GJSON path (a documented subset)."""
    try:
        return keda.metric_value(document, value_location)
    except (KeyError, ValueError) as err:
        raise AnsibleFilterError("keda_metric_value: %s" % err)


def keda_hpa_replicas(metric, target_value, min_replicas, max_replicas, floors=None):
    """The replicas the HPA behind a ScaledObject converges to for a metric value and optional cron floors."""
    try:
        return keda.hpa_replicas(float(metric), target_value, min_replicas, max_replicas, floors or ())
    except (TypeError, ValueError, ZeroDivisionError) as err:
        raise AnsibleFilterError("keda_hpa_replicas: %s" % err)


class FilterModule(object):
    def filters(self):
        return {"keda_input_errors": keda_input_errors, "keda_provisioner_objects": keda_provisioner_objects,
                "keda_metric_value": keda_metric_value, "keda_hpa_replicas": keda_hpa_replicas}
