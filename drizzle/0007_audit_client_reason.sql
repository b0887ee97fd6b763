ALTER TABLE `audit_log` ADD `client` text;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `reason` text;