# Rules: reproduction (see SPEC).
