CREATE TABLE `login_clients` (
	`realm` text NOT NULL,
	`subject_id` integer NOT NULL,
	`client` text NOT NULL,
	`failed_attempts` integer DEFAULT 0 NOT NULL,
	`locked_until` integer DEFAULT 0 NOT NULL,
	`last_failure_at` integer DEFAULT 0 NOT NULL,
	`trusted_at` integer,
	PRIMARY KEY(`realm`, `subject_id`, `client`)
);
--> statement-breakpoint
CREATE INDEX `login_clients_last_failure` ON `login_clients` (`last_failure_at`);--> statement-breakpoint
ALTER TABLE `audit_log` ADD `count` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `aggregate` text;--> statement-breakpoint
CREATE UNIQUE INDEX `audit_log_aggregate` ON `audit_log` (`aggregate`);