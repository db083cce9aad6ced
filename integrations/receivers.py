"""How integrations react to events from the layers below: each receiver only enqueues."""
