# Rules: simulations (see SPEC).
