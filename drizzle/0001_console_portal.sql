CREATE TABLE `admins` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`password_hash` text,
	`totp_ciphertext` text,
	`totp_key_id` text,
	`last_step` integer DEFAULT -1 NOT NULL,
	`failed_attempts` integer DEFAULT 0 NOT NULL,
	`locked_until` integer DEFAULT 0 NOT NULL,
	`enrol_token_hash` text,
	`enrol_expires_at` integer,
	`disabled_at` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `admins_name_unique` ON `admins` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `admins_enrol_token_hash_unique` ON `admins` (`enrol_token_hash`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text,
	`outcome` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`realm` text NOT NULL,
	`subject_id` integer NOT NULL,
	`csrf_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_subject` ON `sessions` (`realm`,`subject_id`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `last_used_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `confirmed_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `last_success_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `portal_failed_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `portal_locked_until` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `users_locked_until` ON `users` (`locked_until`);--> statement-breakpoint
-- Added by hand (not generated): users who validated before confirmation was recorded are confirmed.
-- The time of their last accepted step is the best date known for both columns.
UPDATE `users` SET `confirmed_at` = `last_step` * 30, `last_success_at` = `last_step` * 30 WHERE `last_step` >= 0;
