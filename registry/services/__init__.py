"""Business rules on a Session. Services raise domain errors and never commit; the edge commits."""
