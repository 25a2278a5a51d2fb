"""Database routing: the API's reads on PostgreSQL streaming replicas, everything else on the
primary (tradeapi.db.replicas explains the rules)."""
