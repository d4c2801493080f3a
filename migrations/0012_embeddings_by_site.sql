-- Small sites' vectors are searched exactly (retrieval.DefaultExactLimit):
-- this index finds one site's vectors of one model without the HNSW graph.
create index chunk_embeddings_site_idx on chunk_embeddings (site_id, model);
