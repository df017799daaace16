"""The form a department's warning list is uploaded with; the file's content is checked by monitoring.warnings."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from monitoring.models import Department


class WarningUploadForm(forms.Form):
    department = forms.ChoiceField(label=_("Department"), choices=Department.choices)
    file = forms.FileField(
        label=_("Warning list (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Only Excel workbooks (.xlsx) are accepted."))
        limit = settings.WARNING_LIST_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the largest accepted is %(limit)s MB."),
                params={"size": f"{upload.size / 1048576:.1f}", "limit": f"{limit / 1048576:.1f}"},
            )
        return upload
