def _stub(request, **kw):
    raise NotImplementedError


missing_plan_list = plan_create = plan_detail = plan_edit = measure_create = measure_edit = _stub
