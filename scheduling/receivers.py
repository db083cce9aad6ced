"""How scheduling reacts to events from the layers below: each receiver only enqueues."""
