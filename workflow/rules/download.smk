# Rules: download (see SPEC).
