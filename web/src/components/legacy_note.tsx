// Told to a member whose role has only the legacy `projects` permission (docs/applications.md).
export function LegacyNote() {
  return (
    <p class="alert info" data-testid="legacy-note">
      Your role has the legacy <code>projects</code> permission. Projects are the same objects as applications
      (<code>/projects</code> in the API), but new flows such as this page use <code>/applications</code> and need{' '}
      <code>applications</code> access: ask an Admin to add it to your role (<a href="/help/applications">which permission each action needs</a>).
    </p>
  );
}
