// Package e2e holds trawl's end-to-end tests: a source (a forge's API
// answered by an httptest server in its documented shapes, clones through
// a real git http-backend), the real crawler, a real index and the search,
// checked against git grep on the same repositories. It has no code of its
// own; leaf packages keep their unit tests.
package e2e
