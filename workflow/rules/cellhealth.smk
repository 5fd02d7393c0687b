# Rules: cellhealth (see SPEC).
