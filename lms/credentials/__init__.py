"""AP credentials: IDs (:mod:`lms.credentials.ids`); issuing, certificates and lifecycle build
on it (issue 12)."""
