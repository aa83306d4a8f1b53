using System.Reflection;

namespace Sentire.Bench;

/// <summary>One benchmark: `dotnet run -c Release --project bench/Sentire.Bench -- NAME [args]`.</summary>
public interface IBenchmark
{
    string Name { get; }
    string Description { get; }
    int Run(string[] args);
}

public static class Program
{
    public static int Main(string[] args)
    {
        var all = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name)
            .ToList();
        var chosen = args.Length > 0 ? all.FirstOrDefault(b => b.Name == args[0]) : null;
        if (chosen is null)
        {
            Console.Error.WriteLine("usage: sentire-bench NAME [args]\nbenchmarks:");
            foreach (var b in all) Console.Error.WriteLine($"  {b.Name,-16} {b.Description}");
            return args.Length == 0 ? 0 : 2;
        }
        return chosen.Run(args[1..]);
    }
}
