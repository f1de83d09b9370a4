"""Small shared helpers with no models and no app imports: every layer may use them."""
