/**
 * Wiring of the service: configuration properties, the embedded PostgreSQL default, roles, actuator
 * health and info contributions. May use every other package.
 */
package io.headprune.system;
