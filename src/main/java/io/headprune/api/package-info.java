/**
 * REST API v1: controllers, and the one mapping of headprune's exception hierarchy (and of Spring
 * MVC's own errors) to RFC 9457 problem details. Uses jobs' public facades and records.
 */
package io.headprune.api;
