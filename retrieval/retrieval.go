// Package retrieval is kefu's text analysis (word and CJK-bigram tokens),
// embedders, and hybrid search over pgvector and full text.
package retrieval
