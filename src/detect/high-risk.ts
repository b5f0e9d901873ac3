// The "high-risk" API list: calls that already do harm, so an alert that comes after them came late.
// Used to count how many such calls happened before an alert (early.ts, alerts).
// Three groups, chosen from the Windows API and the Cuckoo/CAPE monitor names (MalbehavD-V1 uses them):
// - process write / injection: writing into or starting code in another process
// - persistence: autostart registry values, services, drivers
// - deletion: files, directories, registry keys and values
// An API that is only dangerous with certain arguments (e.g. NtMapViewOfSection into another
// process) is left out: the list must be decidable from the API name alone (the CSV has no args).
export const highRiskApis: ReadonlyMap<string, 'inject' | 'persistence' | 'deletion'> = new Map([
  ...(
    [
      'WriteProcessMemory',
      'NtWriteVirtualMemory',
      'CreateRemoteThread',
      'CreateRemoteThreadEx',
      'NtCreateThreadEx',
      'RtlCreateUserThread',
      'NtQueueApcThread',
      'QueueUserAPC',
      'NtSetContextThread',
      'SetThreadContext',
      'VirtualAllocEx',
      'VirtualProtectEx',
    ] as const
  ).map((a) => [a, 'inject'] as const),
  ...(
    [
      'RegSetValueExA',
      'RegSetValueExW',
      'NtSetValueKey',
      'CreateServiceA',
      'CreateServiceW',
      'StartServiceA',
      'StartServiceW',
      'ChangeServiceConfigA',
      'ChangeServiceConfigW',
      'NtLoadDriver',
      'NtSaveKeyEx',
    ] as const
  ).map((a) => [a, 'persistence'] as const),
  ...(
    [
      'DeleteFileA',
      'DeleteFileW',
      'NtDeleteFile',
      'RemoveDirectoryA',
      'RemoveDirectoryW',
      'RegDeleteKeyA',
      'RegDeleteKeyW',
      'RegDeleteValueA',
      'RegDeleteValueW',
      'NtDeleteKey',
      'NtDeleteValueKey',
    ] as const
  ).map((a) => [a, 'deletion'] as const),
]);

export function isHighRisk(api: string): boolean {
  return highRiskApis.has(api);
}
