// The privileged launcher. Its request handling is built in the launcher issue; until then it
// refuses every request so that nothing can be launched through a half-built program.
Console.Error.WriteLine("portal-launcher: not built yet");
return 70;
