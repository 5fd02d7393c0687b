# Rules: nelisa (see SPEC).
