# Rules: cpg0004 (see SPEC).
