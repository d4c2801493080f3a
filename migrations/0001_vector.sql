-- pgvector must exist before anything registers the vector type on a connection.
create extension if not exists vector;
