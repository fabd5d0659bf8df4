// Package httpclient is the one HTTP layer every source goes through, so that
// retries, rate limiting, timeouts, secret redaction and request accounting
// behave the same for Userflow, Whatfix, the bot platform and Technowiz.
//
// A source builds one Client per configured source (the rate limit is per
// Client, shared by all its goroutines) and calls JSON for pages or
// Download for report files (in memory when small, through a temporary
// file when large). Everything retryable is retried inside the call; what
// comes back is either success or a final error (*StatusError for an HTTP
// status, *RequestError otherwise) whose text is safe to log.
//
// Lists are walked by a paginator named for how it pages, one file each:
// WalkPageNumbers (page=1,2,…), WalkBodyCursor (a cursor in the body sent
// back as a parameter) and WalkNextLink (the path of the next page). They
// exist because the vendors' documents rarely say how a list ends: where
// they are silent, a guessed end condition that is wrong must stop the walk
// loudly (or read on), never end it early with fewer rows.
package httpclient
