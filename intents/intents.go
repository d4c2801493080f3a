// Package intents understands shopper messages: intent classification and
// sentiment, in English and Chinese, trainable and measurable. Its built-in
// training data lives in data/.
package intents
