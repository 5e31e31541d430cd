"""Three-way sync: snapshot, plan (pure), execute."""
